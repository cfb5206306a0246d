/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
  // A handle left open by a client library must not keep a finished run from exiting.
  forceExit: true,
  collectCoverage: true,
  coverageReporters: ['text-summary'],
  collectCoverageFrom: ['src/domain/**/*.ts'],
  coverageThreshold: {
    './src/domain/': { lines: 95, branches: 95, functions: 95, statements: 95 },
  },
};
