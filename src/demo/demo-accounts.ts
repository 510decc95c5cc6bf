/**
 * Demo end-user accounts for the embedded identity provider.
 *
 * These credentials are public on purpose: the provider's login page lists them so that a
 * visitor can sign in without creating anything. They exist only in this process and must
 * never be used anywhere real.
 */

/** A demo end-user known to the embedded identity provider. */
export interface DemoAccount {
  /** Stable subject identifier (OIDC Core §2 `sub`); never reassigned. */
  sub: string;
  /** The user name typed into the login form. */
  login: string;
  /** Plain-text demo password, shown on the login page. */
  password: string;
  /** Full name (`profile` scope). */
  name: string;
  /** Given name (`profile` scope). */
  given_name: string;
  /** Family name (`profile` scope). */
  family_name: string;
  /** Short name the user goes by (`profile` scope). */
  preferred_username: string;
  /** E-mail address (`email` scope). */
  email: string;
  /** Whether the provider vouches for the address (`email` scope). */
  email_verified: boolean;
}

/** The demo users; at least two so that tests can tell sessions apart. */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = Object.freeze([
  Object.freeze({
    sub: 'demo-user-alice',
    login: 'alice',
    password: 'alice-demo-pass',
    name: 'Alice Example',
    given_name: 'Alice',
    family_name: 'Example',
    preferred_username: 'alice',
    email: 'alice@example.com',
    email_verified: true,
  }),
  Object.freeze({
    sub: 'demo-user-bob',
    login: 'bob',
    password: 'bob-demo-pass',
    name: 'Bob Sample',
    given_name: 'Bob',
    family_name: 'Sample',
    preferred_username: 'bob',
    email: 'bob@example.com',
    email_verified: true,
  }),
]);

/** Finds a demo account by its subject identifier. */
export function findDemoAccountBySub(sub: string): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((account) => account.sub === sub);
}

/** Finds a demo account by the login name typed into the form (exact match). */
export function findDemoAccountByLogin(login: string): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((account) => account.login === login);
}
