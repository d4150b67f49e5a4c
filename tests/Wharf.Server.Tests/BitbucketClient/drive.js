// Drives a running `wharf serve` through the `bitbucket` npm client (2.12), the way a script written for
// Bitbucket Cloud would: users, SSH keys, repositories, permissions and deploy keys. BitbucketClientTests
// starts the server, creates the accounts and runs this; it compares the lines printed here with what it
// expects. One line per step: "NAME: what came back", or "NAME: FAILED ..." with what the client threw.
//
// Environment: WHARF_API (base URL ending in /2.0), ALICE_TOKEN, BOB_TOKEN, KEY1, KEY2, DEPLOY_KEY (public keys).
'use strict';
const { Bitbucket } = require('bitbucket');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const baseUrl = env('WHARF_API');
const alice = new Bitbucket({ baseUrl, auth: { token: env('ALICE_TOKEN') }, notice: false });
// HTTP Basic with the user name and an API token, as Bitbucket's app passwords are used.
const bob = new Bitbucket({ baseUrl, auth: { username: 'bob', password: env('BOB_TOKEN') }, notice: false });
const [key1, key2, deployKey] = [env('KEY1'), env('KEY2'), env('DEPLOY_KEY')];

// The part of an error the client hands to a script: its status, and Bitbucket's error body if it could read one.
const describe = (e) => {
  const body = e.error && typeof e.error === 'object' && e.error.error ? ` ${e.error.error.code}: ${e.error.error.message}` : '';
  return `FAILED ${e.name} ${e.status}${body || ` ${e.message}`}`;
};

async function step(name, run) {
  try {
    console.log(`${name}: ${await run()}`);
  } catch (e) {
    console.log(`${name}: ${describe(e)}`);
  }
}

// A call that must be refused: prints the status and error code the client reports.
async function refused(name, run) {
  try {
    const { status } = await run();
    console.log(`${name}: not refused (${status})`);
  } catch (e) {
    const body = e.error && typeof e.error === 'object' && e.error.error ? e.error.error : null;
    console.log(`${name}: ${e.status} ${body ? body.code : `(no error body: ${e.message})`}`);
  }
}

async function main() {
  const workspace = 'alice';
  const repo_slug = 'site';

  await step('user.get', async () => {
    const { status, data } = await alice.user.get({});
    return `${status} ${data.type} ${data.username}`;
  });
  await step('users.get', async () => {
    const { status, data } = await alice.users.get({ selected_user: 'bob' });
    return `${status} ${data.type} ${data.username} is_admin=${data.is_admin}`;
  });
  await refused('users.get unknown', () => alice.users.get({ selected_user: 'nobody' }));

  let keyId = '';
  await step('users.createSshKey', async () => {
    const { status, data } = await alice.users.createSshKey({ selected_user: 'alice', _body: { key: key1, label: 'laptop' } });
    keyId = data.uuid;
    return `${status} ${data.type} ${data.label}`;
  });
  await step('users.listSshKeys', async () => {
    const { status, data } = await alice.users.listSshKeys({ selected_user: 'alice' });
    return `${status} size=${data.size} ${data.values.map((k) => k.label).join(',')}`;
  });
  await step('users.getSshKey', async () => {
    const { status, data } = await alice.users.getSshKey({ selected_user: 'alice', key_id: keyId });
    return `${status} ${data.label} ${data.uuid === keyId}`;
  });
  await step('users.updateSshKey', async () => {
    const { status, data } = await alice.users.updateSshKey({ selected_user: 'alice', key_id: keyId, _body: { label: 'desk' } });
    return `${status} ${data.label}`;
  });
  await refused('users.updateSshKey other key', () =>
    alice.users.updateSshKey({ selected_user: 'alice', key_id: keyId, _body: { key: key2, label: 'swapped' } }));
  await refused('users.getSshKey of bob', () => bob.users.getSshKey({ selected_user: 'alice', key_id: keyId }));
  await step('users.deleteSshKey', async () => {
    const { status, data } = await alice.users.deleteSshKey({ selected_user: 'alice', key_id: keyId });
    return `${status} ${JSON.stringify(data)}`;
  });

  await step('repositories.create', async () => {
    const { status, data } = await alice.repositories.create({ workspace, repo_slug, _body: { scm: 'git', is_private: true } });
    return `${status} ${data.type} ${data.full_name} ${data.scm} private=${data.is_private}`;
  });
  await step('repositories.get', async () => {
    const { status, data } = await alice.repositories.get({ workspace, repo_slug });
    return `${status} ${data.full_name}`;
  });
  await step('repositories.list', async () => {
    const { status, data } = await alice.repositories.list({ workspace });
    return `${status} ${data.values.map((r) => r.full_name).join(',')}`;
  });
  await refused('repositories.get by bob', () => bob.repositories.get({ workspace, repo_slug }));

  await step('repositories.updateUserPermission', async () => {
    const { status, data } = await alice.repositories.updateUserPermission({
      workspace, repo_slug, selected_user_id: 'bob', _body: { permission: 'write' },
    });
    return `${status} ${data.type} ${data.user.username} ${data.permission}`;
  });
  await step('repositories.listUserPermissions', async () => {
    const { status, data } = await alice.repositories.listUserPermissions({ workspace, repo_slug });
    return `${status} ${data.values.map((p) => `${p.user.username}=${p.permission}`).join(',')}`;
  });
  await step('repositories.getUserPermission', async () => {
    const { status, data } = await alice.repositories.getUserPermission({ workspace, repo_slug, selected_user_id: 'bob' });
    return `${status} ${data.permission}`;
  });
  await step('repositories.get by bob with write', async () => {
    const { status, data } = await bob.repositories.get({ workspace, repo_slug });
    return `${status} ${data.full_name}`;
  });
  await step('repositories.deleteUserPermission', async () => {
    const { status, data } = await alice.repositories.deleteUserPermission({ workspace, repo_slug, selected_user_id: 'bob' });
    return `${status} ${JSON.stringify(data)}`;
  });

  let deployId = 0;
  await step('repositories.createDeployKey', async () => {
    const { status, data } = await alice.repositories.createDeployKey({ workspace, repo_slug, key: deployKey, label: 'CI' });
    deployId = data.id;
    return `${status} ${data.type} ${data.label} read_only=${data.read_only}`;
  });
  await step('repositories.listDeployKeys', async () => {
    const { status, data } = await alice.repositories.listDeployKeys({ workspace, repo_slug });
    return `${status} size=${data.size} ${data.values.map((k) => k.label).join(',')}`;
  });
  await step('repositories.getDeployKey', async () => {
    const { status, data } = await alice.repositories.getDeployKey({ workspace, repo_slug, key_id: String(deployId) });
    return `${status} ${data.label}`;
  });
  // Bitbucket's own update takes the key back with the new label; the key itself cannot change.
  await step('repositories.updateDeployKey', async () => {
    const { status, data } = await alice.repositories.updateDeployKey({
      workspace, repo_slug, key_id: String(deployId), key: deployKey, label: 'CI build',
    });
    return `${status} ${data.label}`;
  });
  await refused('repositories.updateDeployKey other key', () =>
    alice.repositories.updateDeployKey({ workspace, repo_slug, key_id: String(deployId), key: key2, label: 'swapped' }));
  await step('repositories.deleteDeployKey', async () => {
    const { status, data } = await alice.repositories.deleteDeployKey({ workspace, repo_slug, key_id: String(deployId) });
    return `${status} ${JSON.stringify(data)}`;
  });

  await refused('unknown route', () => alice.request('GET /no-such-route/{x}', { x: 'y' }));
  await step('repositories.delete', async () => {
    const { status, data } = await alice.repositories.delete({ workspace, repo_slug });
    return `${status} ${JSON.stringify(data)}`;
  });
  await refused('repositories.get deleted', () => alice.repositories.get({ workspace, repo_slug }));
}

main().catch((e) => {
  console.log(`script: ${e.stack}`);
  process.exitCode = 1;
});
