// Regenerates docs/openapi.yaml from the API's route table and zod schemas:
//   node -r esbuild-register scripts/write-openapi.ts
import { writeOpenApiFile } from '../server/api/writeOpenApi';

process.stdout.write(`wrote ${writeOpenApiFile()}\n`);
