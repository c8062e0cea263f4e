export { EpcError, type EpcErrorCode } from './errors.ts';
export {
  companyPrefixLength,
  digitalLinkToEpcUrn,
  elementsToEpc,
  epcToElements,
  epcUrnToDigitalLink,
  escapeEpcComponent,
  formatEpcUrn,
  parseEpcUrn,
  unescapeEpcComponent,
  type CompanyPrefixSource,
  type EpcIdentifier,
  type EpcKind,
} from './urn.ts';
