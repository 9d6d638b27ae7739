import Testing
@Test func placeholder_ICLAnalysisTests() { #expect(1 + 1 == 2) }
