NAME="Linux Mint"
VERSION_ID="22"
PRETTY_NAME="Linux Mint 22"
ID=linuxmint
ID_LIKE="ubuntu debian"
