// Shared test setup: tests never log to the console unless TANDEM_TEST_LOG is set.
process.env.LOG_LEVEL ??= process.env.TANDEM_TEST_LOG ? 'debug' : 'silent';
