import Testing
@Test func placeholder_ICLCheckpointTests() { #expect(1 + 1 == 2) }
