/// The name server of `/etc/resolv.conf` (resolv.conf(5)): the first `nameserver` line.
public enum DNSResolvConf {
    /// The first name server's address (IPv4 or IPv6, without brackets); nil when there is none.
    public static func firstNameserver(in text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            // A scoped IPv6 address (fe80::1%eth0) keeps only the address.
            return String(fields[1].split(separator: "%").first ?? fields[1])
        }
        return nil
    }
}
