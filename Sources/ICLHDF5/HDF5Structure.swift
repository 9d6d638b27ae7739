import CHDF5

/// Checks of a file's structure for readers that must not trust it: what a damaged or hostile file
/// could use to make a reader hang (a hard-link cycle), open another file (external links, external
/// storage, virtual datasets) or read data it does not hold.
extension HDF5File {
    /// Walks every link from the root and throws unless the file is a plain tree: hard links only,
    /// each object reached once (so no cycle and no object under two names), at most `maximumObjects`
    /// objects, only groups and datasets, and datasets stored in this file (contiguous, chunked or
    /// compact; no external files, no virtual layout).
    public func requirePlainTree(maximumObjects: Int = 100_000) throws {
        silenceHDF5ErrorPrinting()
        let file = try openFile("/")
        var seen: Set<haddr_t> = []
        var rootInfo = H5O_info_t()
        guard H5Oget_info2(file, &rootInfo, UInt32(H5O_INFO_BASIC)) >= 0 else {
            throw failure("/", "cannot inspect the root group")
        }
        seen.insert(rootInfo.addr)
        var pending = ["/"]
        while let group = pending.popLast() {
            let members = try withObject(group) { object -> [(name: String, type: H5O_type_t)] in
                var info = H5G_info_t()
                guard H5Gget_info(object, &info) >= 0 else { throw failure(group, "cannot list group") }
                guard info.nlinks <= hsize_t(maximumObjects - seen.count) else {
                    throw error(
                        group, "holds \(info.nlinks) members; a file may hold at most \(maximumObjects) objects")
                }
                return try (0..<info.nlinks).map { index in
                    let name = try self.name(group, "cannot read member name") { buffer, size in
                        H5Lget_name_by_idx(
                            object, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, chdf5_default())
                    }
                    let path = (group == "/" ? "" : group) + "/" + name
                    var link = H5L_info_t()
                    guard
                        H5Lget_info_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, &link, chdf5_default()) >= 0
                    else {
                        throw failure(path, "cannot read link")
                    }
                    switch link.type {
                    case H5L_TYPE_HARD: break
                    case H5L_TYPE_SOFT: throw error(path, "is a soft link; this file type holds no links")
                    case H5L_TYPE_EXTERNAL:
                        throw error(path, "is an external link (to another file); this file type holds no links")
                    default: throw error(path, "is a user-defined link; this file type holds no links")
                    }
                    var target = H5O_info_t()
                    guard
                        H5Oget_info_by_idx2(
                            object, ".", H5_INDEX_NAME, H5_ITER_INC, index, &target,
                            UInt32(H5O_INFO_BASIC), chdf5_default()) >= 0
                    else {
                        throw failure(path, "cannot inspect object")
                    }
                    guard seen.insert(target.addr).inserted else {
                        throw error(
                            path, "is a second name (hard link) of an object already in the file, possibly a cycle")
                    }
                    return (path, target.type)
                }
            }
            for member in members {
                switch member.type {
                case H5O_TYPE_GROUP: pending.append(member.name)
                case H5O_TYPE_DATASET: try requireInternalStorage(member.name)
                default: throw error(member.name, "is neither a group nor a dataset")
                }
            }
        }
    }

    /// Throws unless the dataset keeps its values in this file.
    private func requireInternalStorage(_ path: String) throws {
        try withObject(path) { dataset in
            let creation = H5Dget_create_plist(dataset)
            guard creation >= 0 else { throw failure(path, "cannot read the dataset's storage properties") }
            defer { H5Pclose(creation) }
            switch H5Pget_layout(creation) {
            case H5D_CONTIGUOUS, H5D_CHUNKED, H5D_COMPACT: break
            case H5D_VIRTUAL: throw error(path, "is a virtual dataset (its values live in other files)")
            default: throw failure(path, "cannot read the dataset's layout")
            }
            let external = H5Pget_external_count(creation)
            guard external >= 0 else { throw failure(path, "cannot read the dataset's storage properties") }
            guard external == 0 else { throw error(path, "stores its values in \(external) external file(s)") }
        }
    }

    /// Whether the dataset carries HDF5's Fletcher32 checksum (which every read then verifies).
    public func hasChecksum(_ path: String) throws -> Bool {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        return try withObject(path) { dataset in
            guard H5Iget_type(dataset) == H5I_DATASET else { throw error(path, "is a group, expected a dataset") }
            let creation = H5Dget_create_plist(dataset)
            guard creation >= 0 else { throw failure(path, "cannot read the dataset's storage properties") }
            defer { H5Pclose(creation) }
            var flags: UInt32 = 0, count = 0
            var name = [CChar](repeating: 0, count: 32)
            var configuration: UInt32 = 0
            let found = H5Pget_filter_by_id2(
                creation, H5Z_filter_t(H5Z_FILTER_FLETCHER32), &flags, &count, nil,
                name.count, &name, &configuration)
            silenceHDF5ErrorPrinting()  // "not found" is an answer here, not an error worth keeping
            return found >= 0
        }
    }
}
