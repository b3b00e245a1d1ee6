// Every external variable the engine defines; must compile as-is.
rule Ext_Filename { condition: filename == "x.exe" }
rule Ext_Filepath { condition: filepath contains "/" }
rule Ext_Extension { condition: extension == "exe" }
rule Ext_Filetype { condition: filetype == "EXE" }
rule Ext_Owner { condition: owner == "0" }
rule Ext_Regex { condition: filename matches /\.(exe|dll)$/i }
