/**
 * A ready-made Microsoft 365 for tests: Postvault's multi-tenant app registered in a publisher tenant,
 * and a customer tenant with every kind of account the contract says Postvault must tell apart
 * (section 3): an admin, ordinary mailboxes, a shared mailbox (disabled account with a mailbox), a
 * user without mailbox, a disabled user, a guest, and groups with nested and non-user members.
 */
import type { FakeApp, FakeGroup, FakeTenant, FakeUser, MicrosoftFakeState } from './model.js';

export interface StandardScenario {
  /** The tenant where Postvault's app is registered. */
  publisher: FakeTenant;
  /** Postvault's multi-tenant app ("Connect Tenant"), with one secret. */
  app: FakeApp;
  clientSecret: string;
  /** The customer tenant, `contoso.com` (+ `sales.contoso.com`). */
  contoso: FakeTenant;
  /** Global Administrator; password `admin-password`. */
  admin: FakeUser;
  /** Ordinary user with a mailbox and an alias in sales.contoso.com; password `alice-password`. */
  alice: FakeUser;
  bob: FakeUser;
  /** A shared mailbox: account disabled, mailbox present (it can still send). */
  shared: FakeUser;
  /** A member without mailbox (`mail: null`). */
  noMailbox: FakeUser;
  /** A disabled account with a mailbox. */
  disabled: FakeUser;
  /** A B2B guest (`#EXT#` UPN, no mailbox here). */
  guest: FakeUser;
  /** Mail-enabled security group with alice, bob, the guest, a device and the nested `sales` group. */
  everyone: FakeGroup;
  /** Microsoft 365 group with bob. */
  sales: FakeGroup;
}

export interface StandardScenarioOptions {
  /** Redirect URIs registered for Postvault's app (exact strings, contract section 2). */
  redirectUris?: string[];
  /** Whether contoso's admin already consented to the app (default false: "Connect Tenant" not done). */
  contosoConsented?: boolean;
}

export function seedStandardScenario(
  state: MicrosoftFakeState,
  options: StandardScenarioOptions = {},
): StandardScenario {
  const publisher = state.addTenant({ name: 'postvaultpublisher', displayName: 'Postvault Publisher' });
  const clientSecret = 'postvault-client-secret';
  const app = publisher.registerApp({
    displayName: 'Postvault',
    clientSecret,
    redirectUris: options.redirectUris ?? ['http://127.0.0.1:8080/api/microsoft/callback'],
  });

  const contoso = state.addTenant({
    name: 'contoso',
    displayName: 'Contoso Ltd',
    domains: ['contoso.com', 'sales.contoso.com'],
  });
  const admin = contoso.addUser({
    userPrincipalName: 'admin@contoso.com',
    displayName: 'Contoso Admin',
    roles: ['Global Administrator'],
    password: 'admin-password',
  });
  const alice = contoso.addUser({
    userPrincipalName: 'alice@contoso.com',
    displayName: 'Alice Example',
    givenName: 'Alice',
    surname: 'Example',
    proxyAddresses: ['SMTP:alice@contoso.com', 'smtp:alice@sales.contoso.com'],
    password: 'alice-password',
  });
  const bob = contoso.addUser({ userPrincipalName: 'bob@contoso.com', displayName: 'Bob Example' });
  const shared = contoso.addUser({
    userPrincipalName: 'info@contoso.com',
    displayName: 'Contoso Info',
    accountEnabled: false,
  });
  const noMailbox = contoso.addUser({
    userPrincipalName: 'nomail@contoso.com',
    displayName: 'No Mailbox',
    mail: null,
  });
  const disabled = contoso.addUser({
    userPrincipalName: 'former@contoso.com',
    displayName: 'Former Employee',
    accountEnabled: false,
  });
  const guest = contoso.addGuest({ email: 'partner@fabrikam.com', displayName: 'Fabrikam Partner' });
  const sales = contoso.addGroup({
    displayName: 'Sales',
    mail: 'sales@contoso.com',
    groupTypes: ['Unified'],
    members: [bob.id],
  });
  const device = contoso.addOtherObject({
    odataType: '#microsoft.graph.device',
    displayName: 'Meeting Room PC',
  });
  const everyone = contoso.addGroup({
    displayName: 'Everyone',
    mail: 'everyone@contoso.com',
    securityEnabled: true,
    members: [alice.id, bob.id, guest.id, device.id, sales.id],
  });
  if (options.contosoConsented) contoso.grantAdminConsent(app.clientId);
  return {
    publisher,
    app,
    clientSecret,
    contoso,
    admin,
    alice,
    bob,
    shared,
    noMailbox,
    disabled,
    guest,
    everyone,
    sales,
  };
}
