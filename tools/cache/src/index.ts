export { cacheRoot } from './cache-root.ts';
export { buildCacheEntry, cacheEntryComplete, GO_BUILD_ENV, moduleDigest, runLogged } from './go-build.ts';
export { freePort, portInUse } from './ports.ts';
