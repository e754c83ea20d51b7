sshd\[\d+\]: Failed password for (?:invalid user )?(\S+) from ([\d.]+) port \d+
sshd\[\d+\]: Invalid user (\S+) from ([\d.]+)
sudo\[\d+\]: pam_unix\(sudo:auth\): authentication failure; logname=(\S+)
sudo\[\d+\]:\s+$1 : .*COMMAND=/usr/bin/cat /etc/shadow
kernel: \[[\d.]+\] Out of memory: Killed process (\d+) \((\S+)\)
EXT4-fs error \(device (\S+)\)
api\[\d+\]: level=error msg="upstream timeout" upstream=(\S+)
postgres\[\d+\]: \[\d+-\d+\] FATAL:  password authentication failed for user "(\S+)"
nginx\[\d+\]: ([\d.]+) - - "GET /(?:wp-login\.php|\.env) HTTP
nginx\[\d+\]: \S+ - - "[^"]*" 50[02] 
sshd\[\d+\]: Accepted \S+ for root from ([\d.]+)
