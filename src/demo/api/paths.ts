/**
 * The first path segments the demo API server answers (app.ts, and management.ts under `/api/v2/`):
 * a named API mounted at one of them would hide the default API's routes (config/apis.ts).
 */
export const DEMO_API_TOP_PATHS: readonly string[] = [
  'health',
  'me',
  'appointments',
  'contacts',
  'admin',
  'reports',
  'api',
];

/** Where the demo management API is served on the demo API's server (as Auth0 serves its own at /api/v2/). */
export const DEMO_MANAGEMENT_PATH = '/api/v2/';
