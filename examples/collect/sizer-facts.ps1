# The facts 'sizer fleet' needs from one Windows machine: processor, installed memory, GPUs
# with their dedicated memory, OS. Windows PowerShell 5.1 or PowerShell 7, CIM and the
# registry only: no Python, no sizer, nothing installed, nothing sent anywhere. It prints one
# JSON record (format sizer.machine-facts v1) on standard output; push it as a script through
# Intune / Configuration Manager, store the output as <machine>.json in one folder, then run:
#   sizer fleet that-folder/
# The id is the computer name; set $env:SIZER_FACTS_ID to use an asset tag instead.

$ErrorActionPreference = 'Stop'

$cpu = Get-CimInstance Win32_Processor | Select-Object -First 1
$system = Get-CimInstance Win32_ComputerSystem
# Installed memory: the modules' capacities (TotalPhysicalMemory is what the OS can use,
# a few hundred MB less, or several GB less when an iGPU reserves some).
$installed = (Get-CimInstance Win32_PhysicalMemory | Measure-Object -Property Capacity -Sum).Sum
if (-not $installed) { $installed = $system.TotalPhysicalMemory }

# Win32_VideoController.AdapterRAM is 32-bit (it tops out at 4 GB); the display driver's
# registry key holds the real size in HardwareInformation.qwMemorySize.
$classKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}'
$vramByName = @{}
Get-ChildItem $classKey -ErrorAction SilentlyContinue | ForEach-Object {
    $props = Get-ItemProperty $_.PSPath -ErrorAction SilentlyContinue
    if ($props -and $props.DriverDesc -and $props.'HardwareInformation.qwMemorySize') {
        $vramByName[$props.DriverDesc] = [int64]$props.'HardwareInformation.qwMemorySize'
    }
}
$gpus = @(Get-CimInstance Win32_VideoController | ForEach-Object {
    $vram = $vramByName[$_.Name]
    if (-not $vram -and $_.AdapterRAM -gt 0) { $vram = [int64]$_.AdapterRAM }
    $gpu = [ordered]@{ name = $_.Name.Trim() }
    if ($vram) { $gpu.vram_bytes = $vram }
    $gpu
})

$id = if ($env:SIZER_FACTS_ID) { $env:SIZER_FACTS_ID } else { $env:COMPUTERNAME }
$os = Get-CimInstance Win32_OperatingSystem
[ordered]@{
    format         = 'sizer.machine-facts'
    format_version = 1
    id             = $id
    cpu            = $cpu.Name.Trim()
    logical_cpus   = [int]$system.NumberOfLogicalProcessors
    ram_bytes      = [int64]$installed
    gpus           = $gpus
    os             = "$($os.Caption) $($os.Version)"
} | ConvertTo-Json -Depth 4
