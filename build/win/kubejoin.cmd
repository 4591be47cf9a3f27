@echo off
rem The kubejoin CLI shipped inside the desktop app (resources\cli). The Electron binary
rem cannot run it as Node (the RunAsNode fuse is off), so it runs on Node.js (>= 20) from the PATH.
rem kubectl does not need this: keychain kubeconfigs name kubejoin-desktop.exe --kubejoin-cli.
where node >nul 2>nul || (echo kubejoin: Node.js 20 or later is required to run the CLI 1>&2 & exit /b 1)
node "%~dp0..\cli\cli.mjs" %*
