/**
 * @agent-sandbox/images: OCI images from files, Debian packages and our bundles, built without a
 * daemon or a registry, the same bytes every time; and a client that pushes them to any OCI
 * registry. See README "Images".
 */
export { BlobStore, gzip, sha256, type Descriptor } from './blobs.ts';
export { closure, fetchDeb, generateLock, readLock, type DebianLock, type LockedPackage } from './debian.ts';
export { readElf } from './elf.ts';
export { buildImage, MEDIA_TYPES, writeImagesArchive, type BuildOptions, type BuiltImage, type BuiltLayer, type ImageSpec, type LayerSpec, type RunConfig } from './oci.ts';
export { ensureRegistryBinary, registryBinaryPath, startLocalRegistry, type LocalRegistry, type LocalRegistryOptions } from './local-registry.ts';
export { PROGRAM_NODE_FLAGS, RUNTIME_NODE_FLAGS } from './node-flags.ts';
export { DEFAULT_REGISTRY, DEFAULT_REPOSITORY_PREFIX, imagesCacheDir, workspaceVersion } from './paths.ts';
export {
  ADDITIONAL_DEBIAN_PACKAGES,
  buildPauseBinary,
  buildRecipe,
  DEBIAN_PROGRAMS,
  debianBaseLayer,
  defaultContext,
  NODE_RUNTIME_PACKAGES,
  nodeLayer,
  nodeProgram,
  NONROOT,
  pause,
  RECIPES,
  recipe,
  staticBinaryImage,
  staticBinarySpec,
  usersTree,
  type ImageFile,
  type NodeProgramOptions,
  type Recipe,
  type RecipeContext,
  type StaticBinaryImageOptions,
} from './recipes.ts';
export { parseRef, pushImage, RegistryClient, remoteDigest, retarget, type PushResult, type RegistryOptions } from './registry.ts';
export { FileTree } from './tree.ts';
