# Sourced by setup.sh and test.sh: installs Debian packages, only those missing.
#
#   install_missing_packages PACKAGE...
#
# Uses apt-get as root, or through sudo otherwise; does nothing (not even
# apt-get update) when every package is installed already.
install_missing_packages() {
    local package missing=() sudo=""
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    echo "${0##*/}: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
}
