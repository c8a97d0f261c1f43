#!/bin/bash
# deb post-install. electron-builder replaces its own templates/linux/after-install.tpl with this file, so the
# first part repeats that template's steps (app-builder-lib 26.17.0); the keybench part follows.
# ${executable} and ${sanitizedProductName} are electron-builder macros; shell variables use $NAME only.

if type update-alternatives >/dev/null 2>&1; then
    # Remove previous link if it doesn't use update-alternatives
    if [ -L '/usr/bin/${executable}' -a -e '/usr/bin/${executable}' -a "`readlink '/usr/bin/${executable}'`" != '/etc/alternatives/${executable}' ]; then
        rm -f '/usr/bin/${executable}'
    fi
    update-alternatives --install '/usr/bin/${executable}' '${executable}' '/opt/${sanitizedProductName}/${executable}' 100 || ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
else
    ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
fi

# Check if user namespaces are supported by the kernel and working with a quick test:
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    # Use SUID chrome-sandbox only on systems without user namespaces:
    chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
    chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi

if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

# Install apparmor profile (Ubuntu 24+) only where the running AppArmor accepts it (abi/4.0).
if apparmor_status --enabled > /dev/null 2>&1; then
  APPARMOR_PROFILE_SOURCE='/opt/${sanitizedProductName}/resources/apparmor-profile'
  APPARMOR_PROFILE_TARGET='/etc/apparmor.d/${executable}'
  if apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
    cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"

    # Live-loading a profile makes no sense in a chroot (image builds).
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
    fi
  else
    echo "Skipping the installation of the AppArmor profile as this version of AppArmor does not seem to support the bundled profile"
  fi
fi

# keybench: FIDO keys for kiosks whose service user has no logind seat. The rule goes to the vendor rules
# folder, so an administrator's /etc/udev/rules.d/70-keybench-kiosk.rules still overrides it.
if ! getent group keybench >/dev/null 2>&1; then
    groupadd --system keybench || true
fi
install -D -m0644 '/opt/${sanitizedProductName}/resources/udev/70-keybench-kiosk.rules' /usr/lib/udev/rules.d/70-keybench-kiosk.rules
if hash udevadm 2>/dev/null; then
    udevadm control --reload || true
    udevadm trigger --subsystem-match=hidraw || true
fi
