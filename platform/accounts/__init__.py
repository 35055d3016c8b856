"""The one user model, districts, roles, allauth adapters and the back-office MFA policy."""
