"""The simulators as a harness starts them: one app's credentials for both sides, the command line
of `marketsim` as a process, and the StoreSync settings that point at them.

Only command lines and URLs: `storesync` never imports `marketsim` (an import contract), so a
simulator runs as `python -m marketsim.cli ...`, or a test that may import both passes its URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLATFORMS = ("shopee", "tiktok")


@dataclass(frozen=True)
class AppCredentials:
    """One app's credentials, given to the simulator and to StoreSync so signatures verify."""

    shopee_partner_id: int = 2001887
    shopee_partner_key: str = "storesync-demo-partner-key"
    tiktok_app_key: str = "storesync-demo-app"
    tiktok_app_secret: str = "storesync-demo-secret"  # noqa: S105 (a public demo value)

    def simulator_flags(self, platform: str) -> list[str]:
        if platform == "shopee":
            return [
                "--partner-id",
                str(self.shopee_partner_id),
                "--partner-key",
                self.shopee_partner_key,
            ]
        return ["--app-key", self.tiktok_app_key, "--app-secret", self.tiktok_app_secret]

    def settings(self, shopee_url: str, tiktok_url: str) -> dict[str, Any]:
        """StoreSync settings (by field name) for this app on simulators at these URLs."""
        return {
            "shopee_partner_id": self.shopee_partner_id,
            "shopee_partner_key": self.shopee_partner_key,
            "shopee_base_url": shopee_url,
            "tiktok_app_key": self.tiktok_app_key,
            "tiktok_app_secret": self.tiktok_app_secret,
            "tiktok_base_url": tiktok_url,
            "tiktok_auth_url": tiktok_url,
        }

    def environment(self, shopee_url: str, tiktok_url: str) -> dict[str, str]:
        """The same settings as `STORESYNC_*` variables, for a StoreSync process."""
        fields = self.settings(shopee_url, tiktok_url)
        return {f"STORESYNC_{name.upper()}": str(value) for name, value in fields.items()}


def simulator_args(
    platform: str, port: int, credentials: AppCredentials, webhook_url: str, *extra: str
) -> list[str]:
    """What follows the interpreter to run one simulator: `[sys.executable, *simulator_args(...)]`.
    `extra`: more `marketsim` options (`--seed 7`, `--time-factor 0.1`)."""
    return [
        "-m",
        "marketsim.cli",
        platform,
        "--port",
        str(port),
        *credentials.simulator_flags(platform),
        "--webhook-url",
        webhook_url,
        *extra,
    ]
