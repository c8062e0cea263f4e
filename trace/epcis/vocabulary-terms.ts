/**
 * The standard vocabulary terms that EPCIS 2.0 JSON-LD lets a document write as bare strings
 * ("shipping" for https://ref.gs1.org/cbv/BizStep-shipping). The term lists are those of GS1's
 * EPCIS 2.0 JSON-LD context (epcis-context.jsonld, see schemas/epcis/NOTICE.md); only the term
 * names are kept, because every term maps to its vocabulary's prefix followed by the term itself.
 */

export const BIZ_STEP_TERMS: readonly string[] = [
  'accepting', 'arriving', 'assembling', 'collecting', 'commissioning', 'consigning',
  'creating_class_instance', 'cycle_counting', 'decommissioning', 'departing', 'destroying',
  'disassembling', 'dispensing', 'encoding', 'entering_exiting', 'holding', 'inspecting',
  'installing', 'killing', 'loading', 'other', 'packing', 'picking', 'receiving', 'removing',
  'repackaging', 'repairing', 'replacing', 'reserving', 'retail_selling', 'sampling',
  'sensor_reporting', 'shipping', 'staging_outbound', 'stock_taking', 'stocking', 'storing',
  'transporting', 'unloading', 'unpacking', 'void_shipping',
];

export const DISPOSITION_TERMS: readonly string[] = [
  'active', 'available', 'completeness_verified', 'completeness_inferred', 'conformant',
  'container_closed', 'container_open', 'damaged', 'destroyed', 'dispensed', 'disposed', 'encoded',
  'expired', 'in_progress', 'in_transit', 'inactive', 'mismatch_instance', 'mismatch_class',
  'mismatch_quantity', 'needs_replacement', 'no_pedigree_match', 'non_conformant',
  'non_sellable_other', 'partially_dispensed', 'recalled', 'reserved', 'retail_sold', 'returned',
  'sellable_accessible', 'sellable_not_accessible', 'stolen', 'unavailable', 'unknown',
];

export const BIZ_TRANSACTION_TYPE_TERMS: readonly string[] = [
  'bol', 'cert', 'desadv', 'inv', 'pedigree', 'po', 'poc', 'prodorder', 'recadv', 'rma', 'testprd',
  'testres', 'upevt',
];

export const SOURCE_DESTINATION_TYPE_TERMS: readonly string[] = [
  'owning_party', 'possessing_party', 'location',
];

export const ERROR_REASON_TERMS: readonly string[] = [
  'did_not_occur', 'incorrect_data',
];

export const MEASUREMENT_TYPE_TERMS: readonly string[] = [
  'AbsoluteHumidity', 'AbsorbedDose', 'AbsorbedDoseRate', 'Acceleration', 'Radioactivity',
  'Altitude', 'AmountOfSubstance', 'AmountOfSubstancePerUnitVolume', 'Angle',
  'AngularAcceleration', 'AngularMomentum', 'AngularVelocity', 'Area', 'Capacitance',
  'Conductance', 'Conductivity', 'Count', 'Density', 'Dimensionless', 'DoseEquivalent',
  'DoseEquivalentRate', 'DynamicViscosity', 'ElectricCharge', 'ElectricCurrent',
  'ElectricCurrentDensity', 'ElectricFieldStrength', 'Energy', 'Exposure', 'Force', 'Frequency',
  'Illuminance', 'Inductance', 'Irradiance', 'KinematicViscosity', 'Length', 'LinearMomentum',
  'Luminance', 'LuminousFlux', 'LuminousIntensity', 'MagneticFlux', 'MagneticFluxDensity',
  'MagneticVectorPotential', 'Mass', 'MassConcentration', 'MassFlowRate', 'MassPerAreaTime',
  'MemoryCapacity', 'MolalityOfSolute', 'MolarEnergy', 'MolarMass', 'MolarVolume', 'Power',
  'Pressure', 'RadiantFlux', 'RadiantIntensity', 'RelativeHumidity', 'Resistance', 'Resistivity',
  'SolidAngle', 'SpecificVolume', 'Speed', 'SurfaceDensity', 'SurfaceTension', 'Temperature',
  'Time', 'Torque', 'Voltage', 'Volume', 'VolumeFlowRate', 'VolumeFraction', 'VolumetricFlux',
  'Wavenumber',
];

export const SENSOR_EXCEPTION_TERMS: readonly string[] = [
  'ALARM_CONDITION', 'ERROR_CONDITION',
];

export const SENSOR_COMPONENT_TERMS: readonly string[] = [
  'x', 'y', 'z', 'axial_distance', 'azimuth', 'height', 'spherical_radius', 'polar_angle',
  'elevation_angle', 'easting', 'northing', 'latitude', 'longitude', 'altitude',
];
