export * from './adapters/argon2-password-hasher.js';
export * from './adapters/system-clock.js';
export * from './adapters/uuid-id-generator.js';
export * from './container.js';
export * from './environment.js';
export * from './runtime.js';
