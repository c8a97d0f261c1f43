// Names of authenticator models by AAGUID, for keys whose USB product string is missing and for the
// authenticator name Okta (and the simulator) shows on an activated factor.
export const KNOWN_AAGUIDS: Readonly<Record<string, string>> = {
  'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'YubiKey 5 Series',
  'ee882879-721c-4913-9775-3dfcce97072a': 'YubiKey 5 Series',
  'fa2b99dc-9e39-4257-8f92-4a30d23c4118': 'YubiKey 5 Series with NFC',
  '2fc0579f-8113-47ea-b116-bb5a8db9202a': 'YubiKey 5 Series with NFC',
  'c1f9a0bc-1dd2-404a-b27f-8e29047a43fd': 'YubiKey 5 FIPS Series with NFC',
  '73bb0cd4-e502-49b8-9c6f-b59445bf720b': 'YubiKey 5 FIPS Series',
  'a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa': 'Security Key NFC by Yubico',
  'ee041bce-25e5-4cdb-8f86-897fd6418464': 'Security Key NFC by Yubico - Enterprise Edition',
  '6b657962-656e-6368-7669-727475616c31': 'keybench Virtual Key',
};

export function modelForAaguid(aaguid: string): string | undefined {
  return KNOWN_AAGUIDS[aaguid.toLowerCase()];
}
