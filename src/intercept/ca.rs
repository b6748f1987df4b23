//! The run's own certificate authority (rcgen): a CA that may only vouch for the names given
//! (an X.509 name constraint, honoured by OpenSSL, Go, Node and Chromium), valid from
//! yesterday to the day after tomorrow, and one leaf for those names. The keys never leave
//! memory; only the CA's certificate is handed out (PEM). Must not import the proxy or the
//! testbed.

use chrono::{Datelike, Duration, Utc};

use super::InterceptError;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, KeyPair, KeyUsagePurpose, NameConstraints,
};

/// The leaf's certificate and private key (DER), and the CA's certificate (PEM).
pub struct RunCertificates {
    pub leaf_der: Vec<u8>,
    pub leaf_key_der: Vec<u8>,
    pub ca_pem: String,
    /// The leaf's SubjectPublicKeyInfo (DER): Chromium trusts the leaf by its SHA-256.
    pub leaf_spki_der: Vec<u8>,
}

/// Makes a CA limited to `names` and a leaf for them.
pub fn issue(names: &[&str]) -> Result<RunCertificates, InterceptError> {
    let err = |what: &'static str, e: rcgen::Error| InterceptError::Certificate {
        what,
        detail: e.to_string(),
    };
    let today = Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
    let (from, until) = (
        day(today - Duration::days(1)),
        day(today + Duration::days(2)),
    );

    let mut ca = CertificateParams::default();
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::CommonName, "walkthrough run CA (this run only)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.name_constraints = Some(NameConstraints {
        permitted_subtrees: names
            .iter()
            .map(|n| GeneralSubtree::DnsName((*n).to_string()))
            .collect(),
        excluded_subtrees: Vec::new(),
    });
    ca.not_before = from;
    ca.not_after = until;
    let ca_key = KeyPair::generate().map_err(|e| err("CA key", e))?;
    let ca_cert = ca.self_signed(&ca_key).map_err(|e| err("CA", e))?;

    let mut leaf = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .map_err(|e| err("certificate", e))?;
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name.push(DnType::CommonName, names[0]);
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = from;
    leaf.not_after = until;
    let leaf_key = KeyPair::generate().map_err(|e| err("certificate key", e))?;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(|e| err("certificate", e))?;
    Ok(RunCertificates {
        leaf_der: leaf_cert.der().to_vec(),
        leaf_key_der: leaf_key.serialize_der(),
        ca_pem: ca_cert.pem(),
        leaf_spki_der: leaf_key.public_key_der(),
    })
}
