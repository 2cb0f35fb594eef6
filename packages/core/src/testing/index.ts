export * from './contracts/metering-gateway-contract.js';
export * from './contracts/repository-contracts.js';
export * from './fakes.js';
export * from './in-memory/in-memory-database.js';
export * from './in-memory/table.js';
export * from './metering-bench-world.js';
export * from './test-core.js';
