'use strict'
// farm's reference PDS for tests: an in-memory did:plc directory and the reference atproto
// PDS (@atproto/pds, pinned in package.json), both on 127.0.0.1, in this one process.
// Started by ./pds.sh, which passes the install dir and an instance dir:
//   node server.js INSTALL_DIR INSTANCE_DIR
// Prints `PLC http://127.0.0.1:PORT` (its DID directory) and `LISTENING http://127.0.0.1:PORT`
// when the PDS answers; exits by itself after
// FARM_PDS_TIMEOUT seconds (default 1800) so that a killed test run leaves nothing behind.
// Any PDS_* variable @atproto/pds reads (its readEnv) overrides the settings below.

const path = require('node:path')
const fs = require('node:fs')
const net = require('node:net')
const crypto = require('node:crypto')
const { createRequire } = require('node:module')

const [installDir, instanceDir] = process.argv.slice(2)
if (!installDir || !instanceDir) {
  console.error('usage: node server.js INSTALL_DIR INSTANCE_DIR')
  process.exit(2)
}
const load = createRequire(path.join(installDir, 'package.json'))
const pds = load('@atproto/pds')
const plc = load('@did-plc/server')
const { Secp256k1Keypair } = createRequire(load.resolve('@atproto/pds'))('@atproto/crypto')

// A port nobody uses right now (the PDS must know its own URL before it listens).
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

// express's app.listen(port) listens on every interface: keep it on loopback.
const loopbackOnly = (app) => {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, '127.0.0.1', ...rest)
}

const main = async () => {
  const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 })
  loopbackOnly(plcServer.app)
  const plcHttp = await plcServer.start()
  const port = parseInt(process.env.PDS_PORT || '', 10) || (await freePort())
  const rotation = await Secp256k1Keypair.create({ exportable: true })
  const recovery = await Secp256k1Keypair.create()
  const env = {
    devMode: true,
    hostname: 'localhost',
    port,
    version: '0.4.217-farm-tests',
    dataDirectory: path.join(instanceDir, 'data'),
    blobstoreDiskLocation: path.join(instanceDir, 'blobs'),
    didPlcUrl: `http://127.0.0.1:${plcHttp.address().port}`,
    recoveryDidKey: recovery.did(),
    serviceHandleDomains: ['.test'],
    inviteRequired: false,
    rateLimitsEnabled: true,
    crawlers: [],
    disableSsrfProtection: true,
    adminPassword: 'farm-test-admin',
    jwtSecret: crypto.randomBytes(16).toString('hex'),
    plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotation.export()).toString('hex'),
  }
  for (const [k, v] of Object.entries(pds.readEnv())) {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) env[k] = v
  }
  env.port = port
  fs.mkdirSync(env.dataDirectory, { recursive: true })
  fs.mkdirSync(env.blobstoreDiskLocation, { recursive: true })
  const server = await pds.PDS.create(pds.envToCfg(env), pds.envToSecrets(env))
  loopbackOnly(server.app)
  await server.start()
  // The PLC directory first: pds.sh reads both lines once it sees LISTENING.
  console.log(`PLC http://127.0.0.1:${plcHttp.address().port}`)
  console.log(`LISTENING http://127.0.0.1:${port}`)

  const stop = async () => {
    setTimeout(() => process.exit(0), 5000).unref()
    await server.destroy().catch(() => {})
    await plcServer.destroy().catch(() => {})
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  const timeout = parseInt(process.env.FARM_PDS_TIMEOUT || '1800', 10)
  if (timeout > 0) setTimeout(stop, timeout * 1000).unref()
}

main().catch((e) => {
  console.error(`server.js: ${e && e.stack ? e.stack : e}`)
  process.exit(1)
})
