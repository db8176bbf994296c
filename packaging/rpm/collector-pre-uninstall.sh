# isoguard-collector %preun ($1: 0 erase, 1 upgrade): stop and disable the service on erase.
if [ "$1" -eq 0 ] && command -v systemctl >/dev/null 2>&1; then
    systemctl --no-reload disable --now isoguard-collector.service >/dev/null 2>&1 || :
fi
exit 0
