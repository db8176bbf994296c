# isoguard agent %preun ($1: 0 erase, 1 upgrade). On erase, disable the units (what
# %systemd_preun does); the scan is a oneshot, so there is nothing running to stop but the
# timer and the watcher.
if [ "$1" -eq 0 ] && command -v systemctl >/dev/null 2>&1; then
    systemctl --no-reload disable --now isoguard-scan.timer isoguard-watch.service >/dev/null 2>&1 || :
    systemctl --no-reload disable isoguard-boot.service isoguard-scan.service >/dev/null 2>&1 || :
fi
exit 0
