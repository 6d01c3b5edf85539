// files.yar — a small, typical rule set for the fichk benchmark (text, hex and regex strings).
rule webshell_php { strings: $a = "eval(base64_decode(" $b = "system($_GET[" $c = "passthru(" nocase condition: any of them }
rule reverse_shell { strings: $a = "/dev/tcp/" $b = "nc -e /bin/sh" $c = "bash -i >&" condition: any of them }
rule miner_pool { strings: $a = "stratum+tcp://" $b = "xmrig" nocase $c = "cryptonight" condition: any of them }
rule ssh_backdoor_key { strings: $a = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC" condition: $a }
rule elf_upx { strings: $m = { 7f 45 4c 46 } $u = "UPX!" condition: $m at 0 and $u }
rule ld_preload_rootkit { strings: $a = "/etc/ld.so.preload" $b = "readdir64" $c = "hide_pid" condition: $a and ($b or $c) }
rule suspicious_url { strings: $r = /https?:\/\/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}:[0-9]{2,5}\// condition: $r }
rule kernel_module_hide { strings: $a = "list_del_init" $b = "kobject_del" $c = "THIS_MODULE" condition: all of them }
rule planted_signature { strings: $s = "XVIDS-PLANTED-7f3a" condition: $s }
rule hex_pattern { strings: $h = { 4d 5a 90 00 03 00 00 00 04 00 00 00 ff ff } condition: $h }
