import Foundation

extension Recipe {
    /// The fields in which two recipes differ, as `field: A vs B` with the JSON values (the
    /// description excepted: it changes nothing trained). Empty when they train the same model.
    public func differences(from other: Recipe) -> [String] {
        let a = flattened(), b = other.flattened()
        return Set(a.keys).union(b.keys).sorted().compactMap { key in
            key == "description" || a[key] == b[key] ? nil : "\(key): \(a[key] ?? "absent") vs \(b[key] ?? "absent")"
        }
    }

    /// The task settings (`task.…` fields) in which two recipes differ, as `task.field: A vs B`: the
    /// fields that make two models' evaluation tasks differ.
    public func taskDifferences(from other: Recipe) -> [String] {
        differences(from: other).filter { $0.hasPrefix("task.") }
    }

    /// `field.path → JSON value` for every leaf of the recipe's JSON.
    private func flattened() -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for (key, child) in object { walk(child, path.isEmpty ? key : path + "." + key) }
            } else if let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
            {
                out[path] = String(decoding: data, as: UTF8.self)
            }
        }
        walk((try? JSONSerialization.jsonObject(with: Data(json().utf8))) ?? [:], "")
        return out
    }
}
