"""Print an allauth headless session token for a demo user (used by schemathesis)."""

import json
import sys
import urllib.request


def main(base_url: str, email: str, password: str) -> None:
    request = urllib.request.Request(
        f"{base_url}/_allauth/app/v1/auth/login",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        print(json.load(response)["meta"]["session_token"])


if __name__ == "__main__":
    main(*sys.argv[1:4])
