#!/bin/bash
# deb post-remove. electron-builder replaces its own templates/linux/after-remove.tpl with this file, so the
# first part repeats that template's steps (app-builder-lib 26.17.0); the keybench part follows.
# The journal and settings live in each user's folders and are never touched here (README, "Uninstalling").

# Delete the link to the binary ('path' must be the registered alternative, not the generic link).
if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}'
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'

# Unload the AppArmor profile before deleting it, so the policy is not enforced until the next reboot.
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi

# keybench: drop the kiosk rule on remove and purge, not on upgrade (the new version's after-install puts it
# back). The keybench group stays: administrators' memberships in it survive a reinstall.
case "$1" in
    remove|purge)
        rm -f /usr/lib/udev/rules.d/70-keybench-kiosk.rules
        if hash udevadm 2>/dev/null; then
            udevadm control --reload || true
        fi
        ;;
esac
