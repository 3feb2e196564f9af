; galley's Windows installer (NSIS 3, 64-bit stubs). Built by scripts/package-windows.sh,
; which passes VERSION, STAGE (the folder holding what is installed) and OUTFILE.
; Installs into Program Files for all users, adds a Start-menu entry, registers the
; uninstaller in "Apps and Features", and installs silently with /S.
Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma

Name "galley ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\galley"
InstallDirRegKey HKLM "Software\galley" "InstallDir"
RequestExecutionLevel admin
Icon "${STAGE}\galley.ico"
UninstallIcon "${STAGE}\galley.ico"
BrandingText "galley ${VERSION}"

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\galley"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "galley"
VIAddVersionKey "FileDescription" "galley installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "MIT OR Apache-2.0"

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "galley"
    SetShellVarContext all
    SetOutPath "$INSTDIR"
    File "${STAGE}\galley.exe"
    File "${STAGE}\galley.com"
    File "${STAGE}\galley.ico"
    File "${STAGE}\README.md"
    File "${STAGE}\LICENSE.txt"
    WriteUninstaller "$INSTDIR\uninstall.exe"
    CreateShortcut "$SMPROGRAMS\galley.lnk" "$INSTDIR\galley.exe" "" "$INSTDIR\galley.exe" 0 \
        SW_SHOWNORMAL "" "Download Imgur galleries and browse them as thumbnails"
    WriteRegStr HKLM "Software\galley" "InstallDir" "$INSTDIR"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "galley"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "The galley developers"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\galley.exe"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
    WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
    WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
    WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
    SetShellVarContext all
    Delete "$SMPROGRAMS\galley.lnk"
    Delete "$INSTDIR\galley.exe"
    Delete "$INSTDIR\galley.com"
    Delete "$INSTDIR\galley.ico"
    Delete "$INSTDIR\README.md"
    Delete "$INSTDIR\LICENSE.txt"
    Delete "$INSTDIR\uninstall.exe"
    RMDir "$INSTDIR"
    DeleteRegKey HKLM "${UNINSTALL_KEY}"
    DeleteRegKey HKLM "Software\galley"
    ; Your pictures, settings and history stay: they are yours, not the program's.
SectionEnd
