/*
 * The project's built-in definitions: harmless test samples only.
 * They let a technician (and the tests) prove that every part of the scan
 * path works, from files on each filesystem to the boot areas of each disk.
 */

rule EICAR_Test_File : test
{
    meta:
        description = "EICAR anti-malware test file (harmless)"
        author = "rescue project"
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
        severity = "test"
    strings:
        // The 68-byte EICAR string; the standard allows trailing whitespace
        // up to 128 bytes in all.
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar at 0 and filesize <= 128
}

rule Rescue_Test_Marker_File : test
{
    meta:
        description = "rescue project test marker in a file (harmless)"
        author = "rescue project"
        severity = "test"
    strings:
        $m = "RESCUE-TEST-MARKER-FILE"
    condition:
        $m and not (filetype == "MBR" or filetype == "VBR" or
                    filetype == "GAP" or filetype == "GPT")
}

rule Rescue_Test_Marker_MBR : test
{
    meta:
        description = "rescue project test marker in a master boot record (harmless)"
        author = "rescue project"
        severity = "test"
    strings:
        $m = "RESCUE-TEST-MARKER-MBR"
    condition:
        filetype == "MBR" and $m in (0..440)
}

rule Rescue_Test_Marker_VBR : test
{
    meta:
        description = "rescue project test marker in a volume boot record (harmless)"
        author = "rescue project"
        severity = "test"
    strings:
        $m = "RESCUE-TEST-MARKER-VBR"
    condition:
        filetype == "VBR" and $m
}

rule Rescue_Test_Marker_Gap : test
{
    meta:
        description = "rescue project test marker in unpartitioned disk space (harmless)"
        author = "rescue project"
        severity = "test"
    strings:
        $m = "RESCUE-TEST-MARKER-GAP"
    condition:
        filetype == "GAP" and $m
}
