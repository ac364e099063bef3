# Check test suites.
