// Every endpoint through app.inject over SQLite (in memory); the same suites run on PostgreSQL in
// postgresql.api.int.spec.ts.
import { defineIsolationSuite } from './suite/isolation.suite.js';
import { definePlatformSuite } from './suite/platform.suite.js';
import { defineRegistrationSuite } from './suite/registration.suite.js';
import { defineSessionSuite } from './suite/session.suite.js';
import { defineWorkspaceSuite } from './suite/workspaces.suite.js';

defineSessionSuite('sqlite');
defineWorkspaceSuite('sqlite');
defineRegistrationSuite('sqlite');
definePlatformSuite('sqlite');
defineIsolationSuite('sqlite');
