"""Working groups: sign-ups, coordinators, group rooms."""
