<#
.SYNOPSIS
    Installs (or upgrades) the Loupe forwarder as the Windows service LoupeForwarder.

.DESCRIPTION
    Run from an elevated PowerShell ("Run as administrator") in the folder unzipped from
    loupe-forwarder-<version>-windows-x86_64.zip:

        powershell -ExecutionPolicy Bypass -File .\install.ps1

    - copies loupe-forwarder.exe to %ProgramFiles%\Loupe\
    - copies forwarder.toml to %ProgramData%\Loupe\forwarder.toml, unless one is there already
      (an upgrade keeps your configuration), readable by Administrators and SYSTEM only (it
      holds the HEC token)
    - checks it first (loupe-forwarder --check, with the new program; refused while the token is
      the example's CHANGE-ME), then installs and starts the service (automatic start,
      LocalSystem, restarted after a crash). Its log: %ProgramData%\Loupe\logs\.
    An upgrade stops the running service first: its checkpoints are written on stop, so no
    line is shipped twice and none is skipped.

.PARAMETER Config
    The configuration to install when none is there yet (default: forwarder.toml beside this
    script). Edit [output] urls and token first.

.PARAMETER Uninstall
    Stops and removes the service and the program; keeps %ProgramData%\Loupe (configuration,
    checkpoints, logs).
#>
[CmdletBinding()]
param(
    [string] $Config = (Join-Path $PSScriptRoot 'forwarder.toml'),
    [switch] $Uninstall
)

$ErrorActionPreference = 'Stop'
$ServiceName = 'LoupeForwarder'
$BinDir = Join-Path $env:ProgramFiles 'Loupe'
$DataDir = Join-Path $env:ProgramData 'Loupe'
$Exe = Join-Path $BinDir 'loupe-forwarder.exe'
$InstalledConfig = Join-Path $DataDir 'forwarder.toml'

function Invoke-Forwarder([string[]] $Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "loupe-forwarder $($Arguments -join ' ') failed (exit code $LASTEXITCODE)"
    }
}

$identity = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
if (-not $identity.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this from an elevated PowerShell (Run as administrator): it installs a service.'
}

$NewExe = Join-Path $PSScriptRoot 'loupe-forwarder.exe'
if (-not $Uninstall) {
    # Check the configuration the service will run with, with the new program, before touching
    # what runs now: a refused configuration leaves the running service as it is.
    $ToCheck = if (Test-Path $InstalledConfig) { $InstalledConfig } else { $Config }
    if ((Get-Content -Raw $ToCheck) -match 'CHANGE-ME') {
        # The example's token: a service started with it would have every batch refused.
        throw "Edit $ToCheck first ([output] urls and token), then run this script again."
    }
    & $NewExe --config $ToCheck --check
    if ($LASTEXITCODE -ne 0) { throw "$ToCheck is not valid (see above); nothing was changed." }
}

# Stop and remove the service of an earlier install (upgrade or uninstall). A stop writes the
# checkpoints, so the new program goes on where the old one stopped.
if (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue) {
    if (Test-Path $Exe) {
        Invoke-Forwarder @('service', 'uninstall')
    } else {
        Stop-Service -Name $ServiceName -ErrorAction SilentlyContinue
        & sc.exe delete $ServiceName | Out-Null
    }
}

if ($Uninstall) {
    Remove-Item -Recurse -Force $BinDir -ErrorAction SilentlyContinue
    Write-Host "Removed $ServiceName and $BinDir; kept $DataDir (configuration, checkpoints, logs)."
    return
}

New-Item -ItemType Directory -Force -Path $BinDir, $DataDir, (Join-Path $DataDir 'logs'), (Join-Path $DataDir 'state') | Out-Null
# The old process may still be exiting for a moment after it reported "stopped".
for ($try = 1; ; $try++) {
    try { Copy-Item -Force $NewExe $Exe; break }
    catch { if ($try -ge 10) { throw } ; Start-Sleep -Seconds 1 }
}

if (Test-Path $InstalledConfig) {
    Write-Host "Keeping the configuration already there: $InstalledConfig"
} else {
    Copy-Item $Config $InstalledConfig
    # The token is a secret: SYSTEM (S-1-5-18) and Administrators (S-1-5-32-544) only, by SID
    # so that it works whatever the language of Windows.
    & icacls.exe $InstalledConfig /inheritance:r /grant:r '*S-1-5-18:(F)' '*S-1-5-32-544:(F)' | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "icacls failed on $InstalledConfig" }
    Write-Host "Installed $InstalledConfig"
}

Invoke-Forwarder @('--config', $InstalledConfig, 'service', 'install')
Invoke-Forwarder @('service', 'start')
Write-Host "$ServiceName is running. Its log: $(Join-Path $DataDir 'logs\forwarder.log')"
