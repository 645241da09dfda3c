"""Mains or battery (Linux): an iGPU's and NPU's speed moves by 20-30 % with the power source
(laptop firmware lowers clocks and power limits on battery), so every probe records it.

Read from ``/sys/class/power_supply/*`` as the kernel documents it
(Documentation/ABI/testing/sysfs-class-power): ``type`` is "Mains", "Battery", "USB" ...;
a mains or USB supply's ``online`` is 1 when connected; a battery's ``status`` is
"Charging", "Discharging", "Full", "Not charging" or "Unknown".
"""

from __future__ import annotations

from sizer.hardware.record import Hardware, PowerInfo
from sizer.probe.sysroot import SysRoot

_BASE = "sys/class/power_supply"
_SUPPLIES = ("Mains", "USB", "USB_C", "USB_PD")


def read(root: SysRoot, hw: Hardware) -> None:
    supplies = root.list_dir(_BASE)
    if not supplies:
        where = "on this machine" if root.live else "in the capture"
        hw.power = PowerInfo(source=None, detail=f"no /sys/class/power_supply entries {where}")
        return
    online, batteries = [], []
    for name in supplies:
        kind = (root.read_text(f"{_BASE}/{name}/type") or "").strip()
        if kind == "Battery":
            status = (root.read_text(f"{_BASE}/{name}/status") or "").strip()
            batteries.append(f"{name} {status or 'status unknown'}")
            if status == "Discharging":
                hw.power = PowerInfo("battery", True, f"{name}: Discharging")
                return
        elif kind in _SUPPLIES and root.read_int(f"{_BASE}/{name}/online"):
            online.append(name)
    if online:
        hw.power = PowerInfo("mains", bool(batteries), f"{', '.join(online)} online")
    elif batteries:
        hw.power = PowerInfo(None, True, "; ".join(batteries) + "; no supply reports online")
    else:
        hw.power = PowerInfo(None, False, "no mains supply or battery listed")
