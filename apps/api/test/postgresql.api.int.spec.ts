// The same endpoint suites as sqlite.api.spec.ts, on real PostgreSQL (database bc_api_test, re-created at
// the start of this file; DATABASE_URL may name another server).
import { defineIsolationSuite } from './suite/isolation.suite.js';
import { definePlatformSuite } from './suite/platform.suite.js';
import { defineRegistrationSuite } from './suite/registration.suite.js';
import { defineSessionSuite } from './suite/session.suite.js';
import { defineWorkspaceSuite } from './suite/workspaces.suite.js';

defineSessionSuite('postgresql');
defineWorkspaceSuite('postgresql');
defineRegistrationSuite('postgresql');
definePlatformSuite('postgresql');
defineIsolationSuite('postgresql');
