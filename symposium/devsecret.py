"""Print a secret key for local development, kept in instance/dev-secret-key (not for production)."""

import secrets
from pathlib import Path

if __name__ == "__main__":
    path = Path("instance") / "dev-secret-key"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    print(path.read_text().strip())
