/** Where the files served next to the code live: `views/` and `public/` sit beside `src/` (or `dist/`). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
