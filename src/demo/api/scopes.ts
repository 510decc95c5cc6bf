/**
 * The demo API's scopes: one list, read by the demo API (what each route needs)
 * and by the configuration (what demo mode asks the provider for).
 */
/** Every scope the demo API knows. */
export const API_SCOPES = {
  readAppointments: 'read:appointments',
  writeAppointments: 'write:appointments',
  readContacts: 'read:contacts',
  /** Never granted to users: `GET /admin/audit-log` demonstrates a 403. */
  adminAudit: 'admin:audit',
  /** Granted to machine (client-credentials) clients only. */
  readReports: 'read:reports',
} as const;

/** A scope of {@link API_SCOPES}. */
export type ApiScope = (typeof API_SCOPES)[keyof typeof API_SCOPES];

/** Scopes a signed-in user's token is asked for (the BFF requests these). */
export const USER_SCOPES: readonly ApiScope[] = [
  API_SCOPES.readAppointments,
  API_SCOPES.writeAppointments,
  API_SCOPES.readContacts,
];

/** Scopes a machine-to-machine (client-credentials) token is asked for. */
export const M2M_SCOPES: readonly ApiScope[] = [API_SCOPES.readReports];

/** The demo management API's scopes: machine clients only, like Auth0's Management API. */
export const MANAGEMENT_SCOPES = ['read:clients', 'read:users'] as const;
