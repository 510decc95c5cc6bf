/**
 * Auth0 organizations in the demo: which organization a login was for, so that the ID tokens of
 * that grant carry `org_id` and `org_name`.
 *
 * @see https://auth0.com/docs/manage-users/organizations/using-tokens
 */
import type { DemoOrganization } from './profiles/index.js';

export class OrganizationLedger {
  readonly #organizations: readonly DemoOrganization[];
  readonly #byGrant = new Map<string, DemoOrganization>();

  constructor(organizations: readonly DemoOrganization[]) {
    this.#organizations = organizations;
  }

  get enabled(): boolean {
    return this.#organizations.length > 0;
  }

  /** Auth0 accepts an organization's id (`org_…`) or its name, case-insensitively. */
  find(idOrName: string): DemoOrganization | undefined {
    const name = idOrName.toLowerCase();
    return this.#organizations.find((org) => org.id === idOrName || org.name === name);
  }

  /** The last login of a grant decides its organization (a later login may switch it). */
  remember(grantId: string, organization: DemoOrganization | undefined): void {
    if (organization) this.#byGrant.set(grantId, organization);
    else this.#byGrant.delete(grantId);
  }

  claimsFor(grantId: string | undefined): { org_id?: string; org_name?: string } {
    const organization = grantId === undefined ? undefined : this.#byGrant.get(grantId);
    return organization ? { org_id: organization.id, org_name: organization.name } : {};
  }
}
