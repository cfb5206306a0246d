/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
  collectCoverage: true,
  coverageReporters: ['text-summary'],
  collectCoverageFrom: ['src/domain/**/*.ts'],
  coverageThreshold: {
    './src/domain/': { lines: 95, branches: 95, functions: 95, statements: 95 },
  },
};
