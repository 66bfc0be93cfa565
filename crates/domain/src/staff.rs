//! Staff roles for the back office: who may manage accounts and who may only work the list.

crate::keyword_enum! {
    /// What a staff account may do.
    pub enum Role {
        /// Everything an organizer can, plus managing staff accounts.
        Admin => "admin",
        /// Reads and works the list of people: search, export, merge, consents.
        Organizer => "organizer",
        /// A partner organization's user: sees only that partner's referrals, in the portal.
        Partner => "partner",
    }
}

impl Role {
    /// Only admins create, disable and change the role of staff accounts.
    pub fn can_manage_staff(self) -> bool {
        matches!(self, Role::Admin)
    }

    /// Admins and organizers work the staff pages; partner users never see them.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Organizer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_as_str_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
            assert_eq!(
                serde_json::to_string(role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("organizer"), Some(Role::Organizer));
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse(""), None);
    }

    #[test]
    fn only_admins_manage_staff() {
        assert!(Role::Admin.can_manage_staff());
        assert!(!Role::Organizer.can_manage_staff());
        assert!(!Role::Partner.can_manage_staff());
        assert!(Role::Organizer.is_staff() && !Role::Partner.is_staff());
    }
}
