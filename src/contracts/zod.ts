import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';

// The contracts carry their OpenAPI metadata (`.openapi(...)`), so HTTP validation, the OpenAPI
// document and job payload parsing all use these same schemas.
extendZodWithOpenApi(z);

export { z };
