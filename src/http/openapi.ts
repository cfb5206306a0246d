import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from '../contracts/zod';

export { z };

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      field: z.string().optional(),
    }),
  })
  .openapi('Error');

export function buildOpenApiDocument(registry: OpenAPIRegistry): object {
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const generator = new OpenApiGeneratorV3(registry.definitions);
  return generator.generateDocument({
    openapi: '3.0.3',
    info: { title: 'Couponflow', version: '1.0.0', description: 'Coupon and discount-code engine for subscription billing.' },
    servers: [{ url: '/' }],
  });
}

export { OpenAPIRegistry };
