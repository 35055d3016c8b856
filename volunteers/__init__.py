"""The mutual-aid centre: residents, help requests, volunteers, matching, QR activity."""
