# Coordinator tests (owned by the coordinator work).
