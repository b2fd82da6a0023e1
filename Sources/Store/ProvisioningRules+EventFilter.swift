import PBX

extension ProvisioningRules {
    /// Why `lines` cannot be an AMI user's `eventfilter` list, or nil: each line is a manager.conf
    /// `eventfilter` line (`AMIEventFilter(configured:)`) without control characters, within the
    /// default filter limits (a node with lower limits refuses the user's login and logs why).
    public static func eventFilterProblem(_ lines: [String]) -> String? {
        let limits = AMIEventFilter.Limits()
        if lines.count > limits.maximumFilters { return "has \(lines.count) entries; at most \(limits.maximumFilters)" }
        for line in lines {
            if let problem = PlainText.problem(in: line) { return "\(PlainText.quoted(line)) \(problem)" }
            do { _ = try AMIEventFilter(configured: line, limits: limits) } catch {
                return "\(PlainText.quoted(line)) is not an event filter: \(error)"
            }
        }
        return nil
    }
}
