export * from './app.js';
export * from './config/simulator-config.js';
export * from './container.js';
export * from './simulator-server.js';
export * from './simulator-services.js';
export * from './sns/sns-signature.js';
